// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/ERC20Upgradeable.sol";
import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";
import {IIndexToken} from "../interfaces/IIndexToken.sol";
import {BasketMath} from "./libraries/BasketMath.sol";

/**
 * @title IndexToken
 * @notice An SSI index token (MAG7.ssi, DEFI.ssi, MEME.ssi): ERC-20 with a tokenset; only the
 * issuer mints and burns. See {IIndexToken} for the basket model.
 * @dev The tokenset is stored packed, one slot per asset (`asset << 96 | unitAmount`), so reading a
 * 7-asset tokenset costs 7 storage reads; the aggregate basket is a view, so mints and burns write
 * no per-asset state.
 */
contract IndexToken is IIndexToken, ERC20Upgradeable, ProtocolUpgradeable {
    /// @inheritdoc IIndexToken
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");

    /// @dev Most assets a tokenset may hold; bounds every loop over it.
    uint256 public constant MAX_ASSETS = 32;

    /// @custom:storage-location erc7201:ssi.storage.IndexToken
    struct IndexTokenStorage {
        /// @dev Packed entries `uint160(asset) << 96 | unitAmount`, strictly ascending by asset.
        uint256[] tokenset;
    }

    // keccak256(abi.encode(uint256(keccak256("ssi.storage.IndexToken")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0xa59e731c0a69e66b34db2eac4eb2835b7606c96f85b6e0759c6ee2282966e200;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc IIndexToken
    function initialize(
        string memory name_,
        string memory symbol_,
        address admin,
        address issuer,
        address upgrader,
        address[] memory assets,
        uint256[] memory unitAmounts
    ) external initializer {
        __ERC20_init(name_, symbol_);
        __ProtocolUpgradeable_init(admin);
        _grantRole(ISSUER_ROLE, issuer);
        _grantRole(UPGRADER_ROLE, upgrader);
        _setTokenset(assets, unitAmounts);
    }

    /// @inheritdoc IIndexToken
    function mint(address to, uint256 amount) external onlyRole(ISSUER_ROLE) whenNotPaused {
        _mint(to, amount);
    }

    /// @inheritdoc IIndexToken
    function burn(address from, uint256 amount) external onlyRole(ISSUER_ROLE) whenNotPaused {
        _burn(from, amount);
    }

    /// @inheritdoc IIndexToken
    function tokenset() external view returns (address[] memory assets, uint256[] memory unitAmounts) {
        return _tokenset();
    }

    /// @inheritdoc IIndexToken
    function basket() external view returns (address[] memory assets, uint256[] memory amounts) {
        (assets, amounts) = _tokenset();
        uint256 supply = totalSupply();
        for (uint256 i = 0; i < amounts.length; ++i) {
            amounts[i] = BasketMath.amountFor(supply, amounts[i], true);
        }
    }

    /**
     * @dev Replaces the tokenset after validating it; the one place it changes, so a later version
     * (rebalance, management fee) reuses the checks and the event.
     */
    function _setTokenset(address[] memory assets, uint256[] memory unitAmounts) internal {
        uint256 length = assets.length;
        if (length == 0) revert TokensetEmpty();
        if (length > MAX_ASSETS) revert TokensetTooLarge(length, MAX_ASSETS);
        if (unitAmounts.length != length) revert TokensetLengthMismatch(length, unitAmounts.length);
        uint256[] storage packed = _getStorage().tokenset;
        uint256 previousLength = packed.length;
        address previous = address(0);
        for (uint256 i = 0; i < length; ++i) {
            address asset = assets[i];
            uint256 amount = unitAmounts[i];
            if (asset <= previous) revert TokensetNotSorted(i, asset);
            if (amount == 0 || amount > type(uint96).max) revert TokensetAmountInvalid(i, amount);
            uint256 entry = (uint256(uint160(asset)) << 96) | amount;
            if (i < previousLength) packed[i] = entry;
            else packed.push(entry);
            previous = asset;
        }
        for (uint256 i = previousLength; i > length; --i) {
            packed.pop();
        }
        emit BasketUpdated(assets, unitAmounts, totalSupply());
    }

    function _tokenset() private view returns (address[] memory assets, uint256[] memory unitAmounts) {
        uint256[] storage packed = _getStorage().tokenset;
        uint256 length = packed.length;
        assets = new address[](length);
        unitAmounts = new uint256[](length);
        for (uint256 i = 0; i < length; ++i) {
            uint256 entry = packed[i];
            assets[i] = address(uint160(entry >> 96));
            unitAmounts[i] = uint96(entry);
        }
    }

    function _getStorage() private pure returns (IndexTokenStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }
}
