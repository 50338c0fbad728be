// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";
import {IStakeFactory} from "../interfaces/IStakeFactory.sol";
import {IStakeToken} from "../interfaces/IStakeToken.sol";

/**
 * @title StakeFactory
 * @notice Creates and registers the sTokens. See IStakeFactory.
 */
contract StakeFactory is IStakeFactory, ProtocolUpgradeable {
    /// @custom:storage-location erc7201:ssi.storage.StakeFactory
    struct StakeFactoryStorage {
        address stakeTokenImplementation;
        mapping(address token => address sToken) sTokenOf;
        address[] stakedTokens;
    }

    // keccak256(abi.encode(uint256(keccak256("ssi.storage.StakeFactory")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STAKE_FACTORY_STORAGE_LOCATION = 0xba3b8f10b250c713a28fe2e615f8a0357f4760ae0ebe55a60811cc745deb1100;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc IStakeFactory
    function initialize(address admin, address implementation) external initializer {
        __ProtocolUpgradeable_init(admin);
        _setImplementation(implementation);
    }

    /// @inheritdoc IStakeFactory
    function createStakeToken(address token) external onlyRole(OPERATOR_ROLE) whenNotPaused returns (address sToken) {
        if (token == address(0)) revert ZeroAddress();
        StakeFactoryStorage storage $ = _getStakeFactoryStorage();
        address existing = $.sTokenOf[token];
        if (existing != address(0)) revert StakeTokenExists(token, existing);

        IERC20Metadata metadata = IERC20Metadata(token);
        string memory name_ = string.concat("Staked ", metadata.name());
        string memory symbol_ = string.concat("s", metadata.symbol());
        uint8 decimals_ = metadata.decimals();
        address admin = defaultAdmin();
        address implementation = $.stakeTokenImplementation;

        sToken = address(
            new ERC1967Proxy(
                implementation, abi.encodeCall(IStakeToken.initialize, (admin, token, name_, symbol_, decimals_))
            )
        );
        $.sTokenOf[token] = sToken;
        $.stakedTokens.push(token);
        emit StakeTokenCreated(token, sToken, implementation, admin, name_, symbol_, decimals_);
    }

    /// @inheritdoc IStakeFactory
    function setStakeTokenImplementation(address implementation) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setImplementation(implementation);
    }

    /// @inheritdoc IStakeFactory
    function sTokenOf(address token) external view returns (address) {
        return _getStakeFactoryStorage().sTokenOf[token];
    }

    /// @inheritdoc IStakeFactory
    function stakeTokenImplementation() external view returns (address) {
        return _getStakeFactoryStorage().stakeTokenImplementation;
    }

    /// @inheritdoc IStakeFactory
    function stakedTokens() external view returns (address[] memory) {
        return _getStakeFactoryStorage().stakedTokens;
    }

    function _setImplementation(address implementation) private {
        if (implementation.code.length == 0) revert InvalidImplementation(implementation);
        StakeFactoryStorage storage $ = _getStakeFactoryStorage();
        address previous = $.stakeTokenImplementation;
        $.stakeTokenImplementation = implementation;
        emit StakeTokenImplementationUpdated(previous, implementation);
    }

    function _getStakeFactoryStorage() private pure returns (StakeFactoryStorage storage $) {
        assembly {
            $.slot := STAKE_FACTORY_STORAGE_LOCATION
        }
    }
}
