// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";
import {IIndexFactory} from "../interfaces/IIndexFactory.sol";
import {IIndexToken} from "../interfaces/IIndexToken.sol";
import {IIssuer} from "../interfaces/IIssuer.sol";

/**
 * @title IndexFactory
 * @notice Creates index tokens behind ERC-1967 proxies and manages their implementation. See {IIndexFactory}.
 */
contract IndexFactory is IIndexFactory, ProtocolUpgradeable {
    using SafeERC20 for IERC20;

    /// @custom:storage-location erc7201:ssi.storage.IndexFactory
    struct IndexFactoryStorage {
        address implementation;
        address issuer;
        address[] indexes;
        mapping(address index => bool) isIndex;
        mapping(bytes32 symbolHash => address index) indexBySymbol;
        /// @dev Gets REBALANCER_ROLE on every index created from now on (zero: none).
        address rebalancer;
        mapping(address asset => bool) listedAssets;
    }

    // keccak256(abi.encode(uint256(keccak256("ssi.storage.IndexFactory")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant INDEX_FACTORY_STORAGE_LOCATION = 0x2e4d7146590b6bcf53ebb91282f9aaf6dcd17e02a4a452b40b98944c87336d00;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc IIndexFactory
    function initialize(address admin, address implementation_, address issuer_) external initializer {
        if (issuer_ == address(0)) revert ZeroAddress();
        __ProtocolUpgradeable_init(admin);
        IndexFactoryStorage storage $ = _getIndexFactoryStorage();
        _setImplementation($, implementation_);
        $.issuer = issuer_;
    }

    /// @inheritdoc IIndexFactory
    function createIndex(IndexParams calldata params)
        external
        onlyRole(OPERATOR_ROLE)
        whenNotPaused
        returns (address index)
    {
        IndexFactoryStorage storage $ = _getIndexFactoryStorage();
        uint256 length = params.assets.length;
        for (uint256 i = 0; i < length; ++i) {
            if (!$.listedAssets[params.assets[i]]) revert AssetNotListed(params.assets[i]);
        }
        bytes32 symbolHash = keccak256(bytes(params.symbol));
        address existing = $.indexBySymbol[symbolHash];
        if (existing != address(0)) revert SymbolTaken(params.symbol, existing);
        address implementation_ = $.implementation;
        address issuer_ = $.issuer;
        index = address(new ERC1967Proxy(implementation_, _initCall(params, issuer_, $.rebalancer)));
        $.indexes.push(index);
        $.isIndex[index] = true;
        $.indexBySymbol[symbolHash] = index;
        emit IndexCreated(index, implementation_, params);
        IIssuer(issuer_).registerIndex(index, params.config);
    }

    /// @inheritdoc IIndexFactory
    function listAsset(address asset, uint256 probeAmount) external onlyRole(OPERATOR_ROLE) {
        if (asset == address(0)) revert ZeroAddress();
        if (probeAmount == 0) revert ZeroProbe();
        IERC20 token = IERC20(asset);
        uint256 held = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), probeAmount);
        uint256 received = token.balanceOf(address(this)) - held;
        if (received != probeAmount) revert AssetTransferShortfall(asset, probeAmount, received);
        uint256 before = token.balanceOf(msg.sender);
        token.safeTransfer(msg.sender, probeAmount);
        received = token.balanceOf(msg.sender) - before;
        if (received != probeAmount) revert AssetTransferShortfall(asset, probeAmount, received);
        _getIndexFactoryStorage().listedAssets[asset] = true;
        emit AssetListed(asset, probeAmount);
    }

    /// @inheritdoc IIndexFactory
    function delistAsset(address asset) external onlyRole(OPERATOR_ROLE) {
        _getIndexFactoryStorage().listedAssets[asset] = false;
        emit AssetDelisted(asset);
    }

    /// @inheritdoc IIndexFactory
    function isAssetListed(address asset) external view returns (bool) {
        return _getIndexFactoryStorage().listedAssets[asset];
    }

    /// @inheritdoc IIndexFactory
    function setImplementation(address implementation_) external onlyRole(UPGRADER_ROLE) {
        _setImplementation(_getIndexFactoryStorage(), implementation_);
    }

    /// @inheritdoc IIndexFactory
    function upgradeIndex(address index, bytes calldata data) external onlyRole(UPGRADER_ROLE) {
        IndexFactoryStorage storage $ = _getIndexFactoryStorage();
        if (!$.isIndex[index]) revert UnknownIndex(index);
        address implementation_ = $.implementation;
        UUPSUpgradeable(index).upgradeToAndCall(implementation_, data);
        emit IndexUpgraded(index, implementation_);
    }

    /// @inheritdoc IIndexFactory
    function setRebalancer(address rebalancer_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        IndexFactoryStorage storage $ = _getIndexFactoryStorage();
        address previous = $.rebalancer;
        $.rebalancer = rebalancer_;
        emit RebalancerUpdated(previous, rebalancer_);
    }

    /// @inheritdoc IIndexFactory
    function setFeeRate(address index, uint24 ratePpm) external onlyRole(OPERATOR_ROLE) {
        if (!_getIndexFactoryStorage().isIndex[index]) revert UnknownIndex(index);
        IIndexToken(index).setFeeRate(ratePpm);
    }

    /// @inheritdoc IIndexFactory
    function rebalancer() external view returns (address) {
        return _getIndexFactoryStorage().rebalancer;
    }

    /// @inheritdoc IIndexFactory
    function implementation() external view returns (address) {
        return _getIndexFactoryStorage().implementation;
    }

    /// @inheritdoc IIndexFactory
    function issuer() external view returns (address) {
        return _getIndexFactoryStorage().issuer;
    }

    /// @inheritdoc IIndexFactory
    function indexes() external view returns (address[] memory) {
        return _getIndexFactoryStorage().indexes;
    }

    /// @inheritdoc IIndexFactory
    function indexBySymbol(string calldata symbol) external view returns (address) {
        return _getIndexFactoryStorage().indexBySymbol[keccak256(bytes(symbol))];
    }

    /// @inheritdoc IIndexFactory
    function isIndex(address index) external view returns (bool) {
        return _getIndexFactoryStorage().isIndex[index];
    }

    /**
     * @dev The token's initializer call: the factory's admin as admin, the issuer as minter, the
     * factory as manager (upgrader and fee-rate operator), the configured rebalancer.
     */
    function _initCall(IndexParams calldata params, address issuer_, address rebalancer_)
        private
        view
        returns (bytes memory)
    {
        return abi.encodeCall(
            IIndexToken.initialize,
            (
                params.name,
                params.symbol,
                IIndexToken.Roles({admin: defaultAdmin(), issuer: issuer_, manager: address(this), rebalancer: rebalancer_}),
                params.assets,
                params.unitAmounts,
                params.maxFeeRatePpm,
                params.feeRatePpm
            )
        );
    }

    function _setImplementation(IndexFactoryStorage storage $, address implementation_) private {
        if (implementation_.code.length == 0) revert NotAContract(implementation_);
        address previous = $.implementation;
        $.implementation = implementation_;
        emit ImplementationUpdated(previous, implementation_);
    }

    function _getIndexFactoryStorage() private pure returns (IndexFactoryStorage storage $) {
        assembly {
            $.slot := INDEX_FACTORY_STORAGE_LOCATION
        }
    }
}
