// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";
import {ICustodyRegistry} from "../interfaces/ICustodyRegistry.sol";

/**
 * @title CustodyRegistry
 * @notice Chain-qualified assets, custodian wallets and custodian signer keys. See ICustodyRegistry.
 */
contract CustodyRegistry is ICustodyRegistry, ProtocolUpgradeable {
    /// @custom:storage-location erc7201:ssi.storage.CustodyRegistry
    struct CustodyRegistryStorage {
        mapping(address token => Asset) assets;
        address[] tokens;
        mapping(bytes32 chain => mapping(bytes32 walletKey => bool)) wallets;
        mapping(address signer => bool) signers;
    }

    // keccak256(abi.encode(uint256(keccak256("ssi.storage.CustodyRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant CUSTODY_REGISTRY_STORAGE_LOCATION =
        0x6c19e1bcf7143f2b6a6729569722851cc917840ef5f3bfeb0712ea0206e35e00;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc ICustodyRegistry
    function initialize(address admin) external initializer {
        __ProtocolUpgradeable_init(admin);
    }

    /// @inheritdoc ICustodyRegistry
    function registerAsset(string calldata chainName, string calldata assetId, uint8 decimals, CustodyMode mode, address token)
        external
        onlyRole(OPERATOR_ROLE)
        whenNotPaused
    {
        bytes32 chain = _key(chainName);
        bytes32 asset = _key(assetId);
        if (mode == CustodyMode.Custodian) {
            address expected = placeholderOf(chain, asset);
            if (token != expected) revert NotPlaceholder(token, expected);
        } else if (token == address(0)) {
            revert ZeroAddress();
        }
        CustodyRegistryStorage storage $ = _getCustodyRegistryStorage();
        if ($.assets[token].token != address(0)) revert AssetAlreadyRegistered(token);
        $.assets[token] = Asset({chain: chain, asset: asset, decimals: decimals, mode: mode, token: token});
        $.tokens.push(token);
        emit AssetRegistered(token, chain, asset, chainName, assetId, decimals, mode);
    }

    /// @inheritdoc ICustodyRegistry
    function setWallet(string calldata chainName, string calldata wallet, bool active)
        external
        onlyRole(OPERATOR_ROLE)
        whenNotPaused
    {
        bytes32 chain = _key(chainName);
        bytes32 walletKey = _key(wallet);
        _getCustodyRegistryStorage().wallets[chain][walletKey] = active;
        emit WalletSet(chain, walletKey, chainName, wallet, active);
    }

    /// @inheritdoc ICustodyRegistry
    function setSigner(address signer, bool active) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (signer == address(0)) revert ZeroAddress();
        _getCustodyRegistryStorage().signers[signer] = active;
        emit SignerSet(signer, active);
    }

    /// @inheritdoc ICustodyRegistry
    function assetOf(address token) external view returns (Asset memory) {
        Asset storage asset = _getCustodyRegistryStorage().assets[token];
        if (asset.token == address(0)) revert UnknownAsset(token);
        return asset;
    }

    /// @inheritdoc ICustodyRegistry
    function isCustodian(address token) external view returns (bool) {
        Asset storage asset = _getCustodyRegistryStorage().assets[token];
        return asset.token != address(0) && asset.mode == CustodyMode.Custodian;
    }

    /// @inheritdoc ICustodyRegistry
    function isWallet(bytes32 chain, bytes32 walletKey) external view returns (bool) {
        return _getCustodyRegistryStorage().wallets[chain][walletKey];
    }

    /// @inheritdoc ICustodyRegistry
    function isSigner(address signer) external view returns (bool) {
        return _getCustodyRegistryStorage().signers[signer];
    }

    /// @inheritdoc ICustodyRegistry
    function assets() external view returns (address[] memory) {
        return _getCustodyRegistryStorage().tokens;
    }

    /// @inheritdoc ICustodyRegistry
    function placeholderOf(bytes32 chain, bytes32 asset) public pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode("ssi.custodian-asset", chain, asset)))));
    }

    /// @dev The attestation key of a native string; empty strings would all collide, so they are refused.
    function _key(string calldata text) private pure returns (bytes32) {
        if (bytes(text).length == 0) revert EmptyName();
        return keccak256(bytes(text));
    }

    function _getCustodyRegistryStorage() private pure returns (CustodyRegistryStorage storage $) {
        assembly {
            $.slot := CUSTODY_REGISTRY_STORAGE_LOCATION
        }
    }
}
